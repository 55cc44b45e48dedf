/**
 * Teacher to student: response-based (softened logits), feature-based (hints through an adapter,
 * attention transfer) and relation-based (RKD distances and angles) distillation, trained by the
 * shared loop as an {@link dev.graft.train.Objective}, compared with the student trained alone.
 */
package dev.graft.distill;
