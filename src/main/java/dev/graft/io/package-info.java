/**
 * File plumbing shared by every capability: atomic writes, JSON, and the exception that names a
 * bad file, the field at fault and the fix.
 */
package dev.graft.io;
