/**
 * Self-contained HTML reports (one file, charts embedded, readable offline) built from results:
 * pages, tables and XChart charts. Knows nothing of training; capabilities compose their pages.
 */
package dev.graft.report;
