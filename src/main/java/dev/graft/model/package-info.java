/**
 * The staged network every capability sees (stages, then a head), the architecture registry, and
 * checkpoints whose parameter names load into the equivalent PyTorch module.
 */
package dev.graft.model;
