/**
 * Pretrained weights from elsewhere: importing torchvision-named safetensors into graft
 * checkpoints, and predicting classes of image files with any checkpoint.
 */
package dev.graft.zoo;
