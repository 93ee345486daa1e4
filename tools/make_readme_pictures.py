"""Draws the README's pictures from code: ``python3 tools/make_readme_pictures.py``.

One neuron layer, h = relu(x @ W + b), and a loss on it; first the forward graph,
then the same graph with the backward graph that ``mg.gradients`` adds. Values come
from one run on a small batch, so each node shows what it computed.
"""

from pathlib import Path

import numpy as np

import minigraph as mg

IMAGES = Path(__file__).resolve().parent.parent / "tutorials" / "images"


def main() -> None:
    graph = mg.Graph()
    with graph.as_default():
        x = mg.placeholder(mg.float32, shape=(None, 3), name="x")
        W = mg.Variable(np.array([[0.5, -1.0], [0.25, 0.5], [-0.5, 1.0]], np.float32), name="W")
        b = mg.Variable(np.zeros(2, np.float32), name="b")
        h = mg.nn.relu(x @ W + b, name="h")
        loss = mg.reduce_mean(mg.square(h), name="loss")
        grads = mg.gradients(loss, [W, b])
        session = mg.Session(graph)
        session.run(mg.global_variables_initializer())
    feed = {x: np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], np.float32)}
    IMAGES.mkdir(parents=True, exist_ok=True)
    mg.viz.save(loss, str(IMAGES / "forward_graph.svg"), session=session, feed_dict=feed)
    mg.viz.save(grads, str(IMAGES / "gradient_graph.svg"), session=session, feed_dict=feed)
    print(f"wrote {IMAGES / 'forward_graph.svg'} and {IMAGES / 'gradient_graph.svg'}")


if __name__ == "__main__":
    main()
