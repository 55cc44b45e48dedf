/**
 * Unsupervised transfer: a pretrained network's codes of a dataset nobody labelled for it,
 * projected (PCA, t-SNE) and clustered (k-means, k chosen by silhouette), with NMI and adjusted
 * Rand index against labels where they exist, so how well each stage's codes cluster a dataset
 * is measured like the transferability curve.
 */
package dev.graft.explore;
