"""``minigraph.onnx``: a trained graph written as an ONNX model, for ONNX Runtime and netron.

    import minigraph.onnx
    minigraph.onnx.export(sess, [probabilities], "model.onnx")        # inputs: the placeholders it needs
    # then: onnxruntime.InferenceSession("model.onnx").run(None, {"dense_input": x})
    # or look at it: pip install netron; netron model.onnx

ONNX is a graph format too: nodes with op types, inputs and outputs by name, and
*initializers*, the constant tensors a node reads. So exporting is a walk over the ops
the outputs need, in the order they were built (a topological order), each written
as one or a few ONNX nodes:

- a variable becomes an initializer holding its value in the session (as freezing a
  graph for TF makes it a Const), and so does every Const;
- most ops have a namesake (AddV2 -> Add, Relu, MatMul, Softmax, Transpose...); some
  are written with two or three (Square is Mul(x, x); NotEqual is Not(Equal));
- TF's convolutions and pools take NHWC images, ONNX's take NCHW: each Conv2D,
  MaxPool and AvgPool is wrapped in two Transposes (and the HWIO kernel becomes
  OIHW), so the model reads and writes NHWC as minigraph does. TF's "SAME" padding
  puts the odd pixel at the end, ONNX's auto_pad SAME_UPPER.

The opset is 18 (ONNX 1.13 and later; ONNX Runtime 1.14 and later), where every
reduction takes its axes as an input. An op with no rule is refused by name.

This module needs the ``onnx`` package (``pip install minigraph[onnx]``), never a
core dependency. netron (``pip install netron``) draws the file it writes.
"""

from __future__ import annotations

from minigraph.onnx.export import OPSET, export  # noqa: F401
