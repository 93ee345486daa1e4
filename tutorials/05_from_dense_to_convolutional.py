# %% [markdown]
# # 5 · From the worksheet's network to a convolutional one
#
# **Mirrors:** Keras 2's `examples/mnist_cnn.py`, the program a course shows after a dense
# network: `Conv2D`, `MaxPooling2D`, `Dropout`, `Flatten`, then `Dense`.
#
# **You will learn** what a convolution computes (one small filter slid over the whole image),
# what max pooling keeps, why a convolutional network needs far fewer weights than a dense one
# on the same pixels, and how its learning curve compares with the worksheet's network trained
# on the same rows.
#
# (Runs in one to three minutes: two short training runs on 10,000 MNIST digits.)

# %%
# %matplotlib inline
import time

import matplotlib.pyplot as plt
import numpy as np

import minigraph as mg
from minigraph.decomposition import PCA
from minigraph.keras import backend as K
from minigraph.keras.datasets import mnist
from minigraph.keras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from minigraph.keras.models import Sequential
from minigraph.keras.utils import set_random_seed, to_categorical

# %% [markdown]
# ## The data, twice
#
# The worksheet flattens each 28x28 digit into 784 numbers and keeps the first 60 principal
# components: the order of the pixels is thrown away, and a Dense layer could not use it anyway
# (it weighs every input separately). A convolutional network keeps the picture: its input is
# the image itself, 28 rows by 28 columns by 1 channel (grey), scaled to [0, 1] as
# `mnist_cnn.py` does. Both get the same 10,000 training rows and are tested on the same
# 10,000 test digits.

# %%
(x_train, y_train), (x_test, y_test) = mnist.load_data()
rows = 10_000
labels_train, labels_test = to_categorical(y_train[:rows], 10), to_categorical(y_test, 10)

images_train = (x_train[:rows] / 255).astype("float32").reshape(rows, 28, 28, 1)
images_test = (x_test / 255).astype("float32").reshape(len(x_test), 28, 28, 1)

pca = PCA(n_components=60).fit(x_train[:rows].reshape(rows, 784).astype("float32"))
pca_train = pca.transform(x_train[:rows].reshape(rows, 784).astype("float32"))
pca_test = pca.transform(x_test.reshape(len(x_test), 784).astype("float32"))
print("images:", images_train.shape, " PCA rows:", pca_train.shape, " labels:", labels_train.shape)

# %% [markdown]
# ## What a convolution computes
#
# A convolution layer holds small filters, here 3x3 numbers each. To filter an image, put the
# filter on the top-left 3x3 patch, multiply the nine pixels by the nine filter numbers and add
# them up: that sum is the first output pixel. Slide the filter one column right and do it
# again, and so on over every position. A 28x28 image gives a 26x26 output (a 3x3 window fits
# in 26 positions along each side), and the same nine numbers are used at every position.
#
# That sharing is the whole idea: a filter that responds to a vertical stroke responds to it
# anywhere in the image. Below, the loop does exactly that by hand with a filter that is
# positive on its left column and negative on its right one (it answers where ink starts on the
# left of a stroke), and minigraph's `conv2d` op, the one `Conv2D` layers are built on, must
# give the same numbers.

# %%
digit = images_train[0, :, :, 0]
edge_filter = np.array([[1, 0, -1],
                        [1, 0, -1],
                        [1, 0, -1]], dtype="float32")

by_hand = np.zeros((26, 26), dtype="float32")
for row in range(26):
    for column in range(26):
        patch = digit[row:row + 3, column:column + 3]
        by_hand[row, column] = np.sum(patch * edge_filter)

# conv2d wants a batch of images (1, 28, 28, 1) and filters (3, 3, channels in, channels out)
as_op = mg.nn.conv2d(mg.constant(digit.reshape(1, 28, 28, 1)), mg.constant(edge_filter.reshape(3, 3, 1, 1)),
                     strides=[1, 1, 1, 1], padding="VALID")
with mg.Session() as session:
    by_op = session.run(as_op)[0, :, :, 0]
print("conv2d output shape:", by_op.shape, " largest difference from the loop:", np.abs(by_op - by_hand).max())

# %% [markdown]
# ## What max pooling keeps
#
# `MaxPooling2D(pool_size=(2, 2))` cuts the image into 2x2 blocks and keeps the largest number
# of each: half the rows, half the columns, a quarter of the numbers. What survives is *whether*
# a filter found its pattern in each small region, not exactly where; so a stroke moved by one
# pixel gives nearly the same pooled picture, and the next layer sees a smaller, coarser image
# at a lower cost.

# %%
pooled_by_hand = by_op.reshape(13, 2, 13, 2).max(axis=(1, 3))  # the 2x2 blocks, then their maxima
pooled_by_op = mg.nn.max_pool(as_op, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")
with mg.Session() as session:
    pooled = session.run(pooled_by_op)[0, :, :, 0]
print("max_pool output shape:", pooled.shape, " equal to the blocks' maxima:", np.array_equal(pooled, pooled_by_hand))

fig, axes = plt.subplots(1, 3, figsize=(9, 3))
for axis, picture, title in zip(axes, [digit, by_hand, pooled],
                                ["the digit (28x28)", "filtered (26x26)", "max-pooled (13x13)"]):
    axis.imshow(picture, cmap="gray")
    axis.set_title(title)
    axis.axis("off")
plt.show()

# %% [markdown]
# ## The two networks
#
# The worksheet's network, as in notebook 2: 60 PCA numbers, Dense(128) with relu, Dense(10)
# with softmax. The convolutional one follows `mnist_cnn.py`'s shape, narrower so it trains in a
# minute here: two rounds of convolution (16, then 32 filters of 3x3, relu) and pooling, then
# Flatten (the 5x5x32 maps become 800 numbers in a row), a Dense layer, Dropout and the softmax.
#
# `Dropout(0.25)` sets a random quarter of its inputs to zero at each training step (and scales
# the rest by 4/3 so the sum keeps its size), so no unit can rely on another being there;
# `evaluate` and `predict` use every unit. Keras switches between the two through its *learning
# phase*, an input of the graph that `fit` sets to "training".

# %%
set_random_seed(0)
dense_net = Sequential([
    Dense(128, activation="relu", input_shape=(60,)),
    Dense(10, activation="softmax"),
])
conv_net = Sequential([
    Conv2D(16, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
    MaxPooling2D(pool_size=(2, 2)),
    Conv2D(32, (3, 3), activation="relu"),
    MaxPooling2D(pool_size=(2, 2)),
    Flatten(),
    Dense(64, activation="relu"),
    Dropout(0.25),
    Dense(10, activation="softmax"),
])
conv_net.summary()
print("the worksheet's network:", dense_net.count_params(), "weights;",
      "Dense(128) on the 784 raw pixels alone would need", 784 * 128 + 128)

# %% [markdown]
# The first convolution has only 3·3·1·16 + 16 = 160 weights, however large the image: its
# filters are reused at every position. Most of the network's weights sit in the Dense layer
# after Flatten, where every one of the 800 inputs has its own weight again.
#
# ## Training both on the same rows
#
# The same optimizer (Adam), loss and batch size for both, three passes over the 10,000 rows,
# and the test digits as validation data, so each epoch ends with the test accuracy.
# `fit` returns a `History`: its `history` dict holds one number per epoch for each metric.

# %%
histories, seconds = {}, {}
for name, model, x, x_val in [("worksheet network", dense_net, pca_train, pca_test),
                              ("convolutional network", conv_net, images_train, images_test)]:
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    histories[name] = model.fit(x, labels_train, batch_size=64, epochs=3, verbose=2,
                                 validation_data=(x_val, labels_test))
    seconds[name] = time.perf_counter() - start

for name, model, x_val in [("worksheet network", dense_net, pca_test),
                           ("convolutional network", conv_net, images_test)]:
    loss, accuracy = model.evaluate(x_val, labels_test, verbose=0)
    print(f"{name}: test accuracy {accuracy:.4f}, {seconds[name] / 3:.1f} s per epoch")

# %% [markdown]
# ## The learning curves side by side
#
# Left, the loss each epoch on the training rows (solid) and on the test digits (dashed), on a
# logarithmic scale: the worksheet feeds its network the PCA of unscaled pixels (numbers in the
# hundreds), so its loss starts far higher. Right, the accuracy. The convolutional network is
# ahead from the first epoch: it sees where the strokes are, which 60 principal components
# describe only roughly. It pays in time: every epoch slides 16 and then 32 filters over ten
# thousand images, where the worksheet's network does three small matrix products per batch.
#
# The training numbers are averages over the epoch, taken while the network was still learning
# (and, for the convolutional one, with Dropout switched on), so the test curve can lie above the
# training curve, which it seldom does once training has settled.

# %%
fig, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(11, 4))
for (name, history), color in zip(histories.items(), ["tab:blue", "tab:orange"]):
    epochs = np.arange(1, len(history.history["loss"]) + 1)
    loss_axis.plot(epochs, history.history["loss"], color=color, label=f"{name}, training")
    loss_axis.plot(epochs, history.history["val_loss"], color=color, linestyle="--", label=f"{name}, test")
    accuracy_axis.plot(epochs, history.history["accuracy"], color=color, label=f"{name}, training")
    accuracy_axis.plot(epochs, history.history["val_accuracy"], color=color, linestyle="--", label=f"{name}, test")
loss_axis.set_yscale("log")
for axis, label in [(loss_axis, "loss"), (accuracy_axis, "accuracy")]:
    axis.set_xlabel("epoch")
    axis.set_ylabel(label)
    axis.set_xticks(epochs)
    axis.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## What the first layer learned
#
# Keras keeps one graph and one session for every model (as Keras 2 did), so `K.get_value`
# reads a trained weight straight from the session `fit` trained it in. The first layer's
# kernel has shape (3, 3, 1, 16): sixteen 3x3 filters. Many look like the edge filter above, at
# various angles: nobody told the network to look for edges, the gradient found them useful.

# %%
kernel = K.get_value(conv_net.layers[0].kernel)
print("first layer's kernel:", kernel.shape)
fig, axes = plt.subplots(2, 8, figsize=(10, 2.8))
for index, axis in enumerate(axes.ravel()):
    axis.imshow(kernel[:, :, 0, index], cmap="RdBu")
    axis.axis("off")
plt.show()

# %% [markdown]
# ## What to take away
#
# - A convolution is one small set of weights applied at every position of the image; pooling
#   keeps each region's strongest answer. Together they turn pixels into maps of where patterns
#   are, with few weights.
# - `mnist_cnn.py` itself (two 3x3 convolutions of 32 and 64 filters, Adadelta, 12 epochs on all
#   60,000 digits) reaches about 99% test accuracy; it runs on minigraph with only its imports
#   changed, but takes several minutes per epoch on numpy, where TensorFlow takes seconds.
