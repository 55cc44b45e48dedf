/**
 * Export for deployment: a checkpoint as an ONNX model (float32, or int8 in QDQ form), written
 * with protobuf classes generated from the ONNX format ({@code src/main/proto}) and checked in
 * ONNX Runtime, whose API only {@link dev.graft.export.OnnxRuntimeModel} touches.
 */
package dev.graft.export;
