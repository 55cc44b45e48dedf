/**
 * The command line: each command parses its options into a config record, calls the library and
 * prints a human summary, or one JSON object with {@code --json}.
 */
package dev.graft.cli;
