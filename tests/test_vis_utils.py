"""Tests for minigraph.keras.utils.plot_model: the worksheet network, drawn layer by layer."""

import xml.etree.ElementTree as ElementTree

import graphviz
import pytest

from minigraph.keras.utils import plot_model

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def worksheet_model():
    from minigraph.keras.layers import Activation, Dense
    from minigraph.keras.models import Sequential

    return Sequential([Dense(128, input_shape=(60,)), Activation("relu"), Dense(10), Activation("softmax")])


def svg_texts(svg: bytes) -> list:
    root = ElementTree.fromstring(svg)
    return [text.text for text in root.iter(f"{SVG}text")]


def test_png_of_the_worksheet_network(worksheet_model, tmp_path):
    path = tmp_path / "model.png"
    digraph = plot_model(worksheet_model, to_file=str(path), show_shapes=True)
    assert isinstance(digraph, graphviz.Digraph)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000


def test_svg_names_each_layer_with_its_shapes(worksheet_model, tmp_path):
    path = tmp_path / "model.svg"
    plot_model(worksheet_model, to_file=str(path))
    texts = svg_texts(path.read_bytes())
    dense, relu, dense_1, softmax = worksheet_model.layers
    assert texts.count("input:") == 5 and texts.count("output:") == 5  # an InputLayer box + 4 layers
    for layer in worksheet_model.layers:
        assert f"{layer.name} ({type(layer).__name__})" in texts
    assert f"{dense.name}_input (InputLayer)" in texts
    # shapes, top to bottom: (None, 60) in, (None, 128) through the hidden layer, (None, 10) out
    shapes = [t for t in texts if t.startswith("(None")]
    assert shapes == ["(None, 60)", "(None, 60)", "(None, 60)", "(None, 128)", "(None, 128)",
                      "(None, 128)", "(None, 128)", "(None, 10)", "(None, 10)", "(None, 10)"]


def test_boxes_are_chained_in_order(worksheet_model):
    source = plot_model(worksheet_model).source  # no file: just the Digraph
    names = [f"{worksheet_model.layers[0].name}_input"] + [layer.name for layer in worksheet_model.layers]
    for tail, head in zip(names, names[1:]):
        assert f"\t{tail} -> {head}\n" in source
    assert source.count("->") == 4


def test_without_shapes_and_dot_output(worksheet_model, tmp_path):
    path = tmp_path / "model.dot"
    plot_model(worksheet_model, to_file=str(path), show_shapes=False)
    source = path.read_text()
    assert source.startswith("digraph") and "(None" not in source and "(Dense)" in source


def test_a_functional_model_is_drawn_as_its_graph_of_layers(tmp_path):
    from minigraph.keras.layers import Concatenate, Dense, Input
    from minigraph.keras.models import Model

    left, right = Input(shape=(4,), name="left"), Input(shape=(3,), name="right")
    shared = Dense(7, name="shared")
    joined = Concatenate(name="joined")([Dense(5, name="left_dense")(left), Dense(2, name="right_dense")(right)])
    model = Model([left, right], shared(shared(joined)))
    source = plot_model(model).source
    arrows = sorted(line.strip() for line in source.splitlines() if "->" in line)
    assert arrows == ["joined -> shared", "left -> left_dense", "left_dense -> joined", "right -> right_dense",
                      "right_dense -> joined", "shared -> shared"]
    path = tmp_path / "model.svg"
    plot_model(model, to_file=str(path))
    texts = svg_texts(path.read_bytes())
    assert "joined (Concatenate)" in texts and "[(None, 5), (None, 2)]" in texts  # its two inputs
    assert texts.count("output:") == len(model.layers) == 6
