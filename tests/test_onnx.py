"""minigraph.onnx.export: models that onnx.checker accepts and ONNX Runtime runs with
minigraph's results.

- the worksheet's network and a small CNN (conv2d, bias_add, relu, max_pool, avg_pool,
  reshape, matmul, softmax), each trained a little first, written to a .onnx file;
- every case of the op table (each op it builds has an ONNX form); an op without one
  is refused with an error naming it.

The worst relative difference is recorded as "ONNX Runtime, <dtype>".
"""

import numpy as np
import pytest

import minigraph as mg
from support.interop import (
    assert_close,
    case_in_minigraph,
    cnn_data,
    recorder,
    trained_small_cnn,
    trained_worksheet_model,
)
from support.op_cases import CASES, NO_GRADIENT_CASES

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")
import minigraph.onnx  # noqa: E402  (needs the onnx package, checked just above)

ALL_CASES = CASES + NO_GRADIENT_CASES


@pytest.fixture
def record(parity_errors):
    return recorder(parity_errors, "ONNX Runtime")


def run_onnx(model_or_path, feeds: dict) -> list[np.ndarray]:
    source = model_or_path if isinstance(model_or_path, str) else model_or_path.SerializeToString()
    session = onnxruntime.InferenceSession(source, providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}
    return session.run(None, {name: value for name, value in feeds.items() if name in wanted})


def test_worksheet_network(tmp_path, record):
    model, x = trained_worksheet_model()
    path = str(tmp_path / "worksheet.onnx")
    minigraph.onnx.export(model.session, model.output, path)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    loaded = onnx.load(path)
    assert [i.name for i in loaded.graph.input] == [model.input.op.name]
    assert loaded.opset_import[0].version == minigraph.onnx.OPSET
    assert len(loaded.graph.initializer) == 4  # two kernels, two biases: the trained values
    (theirs,) = run_onnx(path, {model.input.op.name: x})
    assert_close(model.predict(x), theirs, record, "worksheet network")


def test_small_cnn(tmp_path, record):
    images, labels = cnn_data()
    session, x, probabilities = trained_small_cnn(images, labels)
    path = str(tmp_path / "cnn.onnx")
    model = minigraph.onnx.export(session, [probabilities], path)
    kinds = {node.op_type for node in model.graph.node}
    assert {"Conv", "MaxPool", "AveragePool", "Transpose", "Relu", "Reshape", "MatMul", "Add", "Softmax"} <= kinds
    (theirs,) = run_onnx(path, {x.op.name: images})
    assert_close(session.run(probabilities, {x: images}), theirs, record, "small CNN")


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.id for case in ALL_CASES])
def test_op_table_in_onnx_runtime(case, record):
    graph, feeds, y = case_in_minigraph(case)
    session = mg.Session(graph=graph)
    ours = session.run(y, feeds)
    model = minigraph.onnx.export(session, y)
    (theirs,) = run_onnx(model, {p.op.name: x for p, x in feeds.items()})
    assert_close(ours, theirs, record, case.id)


def test_inputs_cut_the_graph_and_a_missing_feed_is_named(graph):
    x = mg.placeholder(mg.float32, (None, 3), name="x")
    hidden = mg.nn.relu(x * 2.0, name="hidden")
    y = mg.nn.softmax(hidden, name="y")
    model = minigraph.onnx.export(mg.Session(), [y], inputs=[hidden])
    assert [i.name for i in model.graph.input] == ["hidden"]
    assert [node.op_type for node in model.graph.node] == ["Softmax"]
    (theirs,) = run_onnx(model, {"hidden": np.array([[0.0, 1.0, 2.0]], "float32")})
    np.testing.assert_allclose(theirs, mg.Session().run(y, {hidden: [[0.0, 1.0, 2.0]]}), rtol=1e-6)
    z = mg.placeholder(mg.float32, (None, 3), name="z")
    with pytest.raises(ValueError, match=r'Tensor\("z:0".*is needed by the outputs but is not among the inputs'):
        minigraph.onnx.export(mg.Session(), [y + z], inputs=[x])


def test_an_op_without_an_onnx_form_is_refused_by_name(graph):
    x = mg.placeholder(mg.float32, (4,))
    y = mg.random_shuffle(x, name="shuffled")
    with pytest.raises(ValueError, match=r"RandomShuffle 'shuffled' has no ONNX form in minigraph.onnx \(opset 18\)"):
        minigraph.onnx.export(mg.Session(), y)
