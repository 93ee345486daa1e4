# %% [markdown]
# # 2 · The MNIST dense network
#
# **Mirrors:** the second half of the worksheet, every code cell of it, in order: load
# MNIST, flatten each image to 784 pixels, reduce them to 60 numbers with PCA, one-hot the
# labels, build a `Sequential` model of `Dense(128)`, `Activation('relu')`, `Dense(10)`,
# `Activation('softmax')`, print its `summary()` (9,098 parameters), compile it with
# `Adam()` and categorical cross-entropy, and `fit` it twice: 5 epochs on all 60,000
# training images, then 5 more with `validation_split=1/6`.
#
# **You will learn** what each of those steps does to the data, how to read the training
# curves, and that a Keras model is a computation graph like the one in notebook 1, just
# bigger.
#
# **How to read this notebook.** Where the text says *Worksheet In [n]*, the code cell under
# it is the worksheet's own cell, verbatim but for its imports, and the text after it
# explains what minigraph did. The other code cells are minigraph's additions: pictures,
# the test accuracy, the training curves. The imports change like this:
#
# | worksheet (Keras 2, TensorFlow 1) | here (minigraph) |
# |---|---|
# | `from keras.datasets import mnist` | `from minigraph.keras.datasets import mnist` |
# | `from sklearn.decomposition import PCA` | `from minigraph.decomposition import PCA` |
# | `from keras.utils import to_categorical` | `from minigraph.keras.utils import to_categorical` |
# | `from keras.models import Sequential` | `from minigraph.keras.models import Sequential` |
# | `from keras.layers import Dense, Activation` | `from minigraph.keras.layers import Dense, Activation` |
# | `from keras.optimizers import SGD, Adam` | `from minigraph.keras.optimizers import SGD, Adam` |
#
# (Runs in about half a minute: the PCA of 60,000 images takes a few seconds, and each
# epoch about one.)
#
# First, minigraph's own imports for the pictures, and a seed, so that every run starts
# from the same initial weights and shuffles the same way:

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import minigraph as mg
from minigraph.keras.utils import plot_model, set_random_seed

set_random_seed(0)

# %% [markdown]
# ## The data
#
# *Worksheet In [56]*: load MNIST.

# %%
from minigraph.keras.datasets import mnist

(x_train, y_train), (x_test, y_test) = mnist.load_data()

print(x_train.shape)
print(x_test.shape)

# %% [markdown]
# `load_data()` returns the images as 28×28 arrays of `uint8` grey levels (0 to 255) and
# the labels as digits, 60,000 for training and 10,000 for testing, as Keras does. (The
# first call downloads 11 MB and caches it.) Here are the first ten training images with
# their labels:

# %%
print("x_train", x_train.dtype, "from", x_train.min(), "to", x_train.max(), "; y_train", y_train[:10])
fig, axes = plt.subplots(1, 10, figsize=(10, 1.4))
for image, label, ax in zip(x_train, y_train, axes):
    ax.imshow(image, cmap="gray_r")
    ax.set_title(str(label))
    ax.axis("off")
plt.show()

# %% [markdown]
# *Worksheet In [57]*: a dense layer takes a vector per example, so each image is flattened
# to its 784 pixels, row after row.

# %%
x_train = x_train.reshape(60000, -1)
x_test = x_test.reshape(10000, -1)

print(x_train.shape)
print(x_test.shape)

# %% [markdown]
# `-1` asks numpy to work out that dimension: 28 × 28 = 784. The names `x_train` and
# `x_test` now hold the flat arrays, still `uint8` grey levels from 0 to 255: the worksheet
# does not scale them.
#
# ## PCA: 784 pixels to 60 numbers
#
# *Worksheet In [58]*: neighbouring pixels are strongly correlated, so most of the 784
# numbers are redundant. PCA finds the directions in pixel space along which the training
# images vary most, and describes each image by its coordinates along the first 60.

# %%
from minigraph.decomposition import PCA

pca = PCA(n_components=60) # reduce to 60 dimensions
pca.fit(x_train)

x_train = pca.transform(x_train)
x_test = pca.transform(x_test)

print(x_train.shape)
print(x_test.shape)

# %% [markdown]
# minigraph's `PCA` is written in numpy and answers to scikit-learn's names (`fit`,
# `transform`, `components_`, `explained_variance_ratio_`), so the cell is the worksheet's.
# It is fitted on the training images only, and the same projection is then applied to the
# test images. From here on `x_train` and `x_test` are the 60 PCA numbers per image.
#
# 60 numbers keep most of the variation between images. What they keep is visible: go back
# from the 60 coordinates to 784 pixels (`mean + coordinates @ components`) and compare with
# the originals (loaded again, since `x_test` no longer holds the pixels). Note also that
# the features run into the hundreds and thousands: they are not scaled.

# %%
print(f"variance kept by 60 components: {pca.explained_variance_ratio_.sum():.1%}")
print(f"feature range: {x_train.min():.0f} to {x_train.max():.0f}")

_, (test_images, test_labels) = mnist.load_data()
reconstructed = pca.mean_ + x_test[:8] @ pca.components_
fig, axes = plt.subplots(2, 8, figsize=(10, 2.8))
for i in range(8):
    axes[0, i].imshow(test_images[i], cmap="gray_r")
    axes[1, i].imshow(reconstructed[i].reshape(28, 28), cmap="gray_r")
    axes[0, i].axis("off")
    axes[1, i].axis("off")
axes[0, 0].set_title("original", loc="left")
axes[1, 0].set_title("from 60 PCA numbers", loc="left")
plt.show()

# %% [markdown]
# ## One-hot labels
#
# *Worksheet In [59]*: the network ends in 10 probabilities, one per digit, so each label
# becomes a row of 10 numbers with a 1 at the digit's place: the distribution the network
# should predict.

# %%
from minigraph.keras.utils import to_categorical

print(y_train.shape, y_test.shape)

y_train = to_categorical(y_train)
y_test = to_categorical(y_test)

print(y_train.shape, y_test.shape)

# %% [markdown]
# `to_categorical` counts the classes from the largest label (9, so 10 classes) and returns
# float32 rows, as Keras does.
#
# *Worksheet In [60]*: the first training label, one-hot.

# %%
print(y_train[0, :])

# %% [markdown]
# The first training image is a 5, so the 1 is in place 5 (counting from 0). The worksheet
# shows `[ 0.  0.  0. ...]`, with more spaces: numpy 1.14 (2018) changed how arrays print,
# not what they hold.
#
# ## The model
#
# *Worksheet In [61]*: Keras has two ways to describe a model. The **Sequential API**
# stacks layers, each one's output the next one's input: 60 inputs, a hidden layer of 128
# units with relu, and 10 outputs with softmax. Only the first layer needs `input_shape`;
# the others work theirs out from the layer before.

# %%
from minigraph.keras.models import Sequential
from minigraph.keras.layers import Dense, Activation

model = Sequential()
model.add(Dense(128, input_shape=(60,))) # first dense layer, 32 hidden units
model.add(Activation('relu'))           # activation layer
model.add(Dense(10))                    # second dense layer
model.add(Activation('softmax'))        # output class probabilities

model.summary()

# %% [markdown]
# The same layers, shapes and parameter counts as the worksheet's summary. (The comment's
# "32 hidden units" is the worksheet's slip: the layer has 128.) Where 9,098 comes from: the
# first `Dense` has a 60×128 kernel and 128 biases (7,680 + 128 = 7,808), the second a 128×10
# kernel and 10 biases (1,280 + 10 = 1,290), and activations have no weights. `None` is the
# batch size, known only when data arrives.
#
# The worksheet's layers are called `dense_7`, `activation_7`...: Keras numbers layers as it
# makes them, and its author had built the model several times before. Here it is the first
# model, so `dense`, `dense_1`.
#
# The worksheet mentions two other ways to write this:
#
# - **The activation as an argument:** `Dense(128, activation='relu')` is a `Dense` layer
#   followed by its activation, in one layer. minigraph has it, in
#   `minigraph.keras.layers.Dense`; the next cell builds the same network that way.
# - **The Model API** (Keras's functional API, `Model(inputs, outputs)`), for networks
#   that are not a single stack. minigraph does not have it yet: it is on the project's list,
#   with Dropout and convolutions. The Sequential API is all this worksheet uses.

# %%
same_network = Sequential([
    Dense(128, activation='relu', input_shape=(60,)),
    Dense(10, activation='softmax'),
])
same_network.summary()

# %% [markdown]
# Two layers instead of four, and the same 9,098 weights. The rest of the notebook trains
# the worksheet's `model`.
#
# `plot_model` draws the model one box per layer, as Keras does. (Give it
# `to_file="model.png"` to also write a picture.)

# %%
plot_model(model, show_shapes=True)

# %% [markdown]
# One level down, the model is an ordinary computation graph, like `z = x + y` in notebook
# 1. Each layer's nodes are grouped under its name (`dense/MatMul`, `dense/BiasAdd`...).

# %%
mg.viz.draw(model.outputs)

# %% [markdown]
# ## Compile
#
# *Worksheet In [62]*: the loss (categorical cross-entropy), the optimizer (Adam) and the
# metric to report (accuracy).

# %%
from minigraph.keras.optimizers import SGD, Adam

optimizer = Adam()
model.compile(optimizer=optimizer, loss='categorical_crossentropy', metrics=['accuracy'])

# %% [markdown]
# `Adam()` has Keras's defaults (learning rate 0.001) and Keras 3's update rule; `SGD` is
# imported, as in the worksheet, though only Adam is used. `compile` adds the training part
# of the graph once: a placeholder for the labels, the loss, the accuracy, and the
# optimizer's gradient and update nodes. `fit` is then a loop of
# `session.run(train_op, feed_dict={images: batch, labels: batch_labels})`.
#
# ## Fit, twice
#
# *Worksheet In [63]*: 5 epochs over all 60,000 training images, in batches of 32.

# %%
# Train the model, iterating on the data in batches of 32 samples
model.fit(x_train, y_train, epochs=5, batch_size=32);

# %% [markdown]
# One epoch is 1,875 steps (60,000 / 32). The progress bar shows the loss and accuracy on
# the training batches as it goes; the worksheet's export left its bars out. The worksheet's
# author needed about 5 seconds per epoch; minigraph takes about one. The `;` at the end is
# Jupyter's: it hides the cell's value (the `History` that `fit` returns).
#
# These numbers are on the training data, which the model has learnt from. *Worksheet In
# [64]*: `validation_split=1/6` holds out the *last* 10,000 training rows, taken before any
# shuffling, and scores the model on them at the end of each epoch (`val_loss`,
# `val_accuracy`); it trains on the other 50,000, shuffled and cut into batches of 32 (1,563
# steps per epoch).

# %%
# Train the model, iterating on the data in batches of 32 samples
model.fit(x_train, y_train, epochs=5, batch_size=32, validation_split=1/6)

# %% [markdown]
# `Train on 50000 samples, validate on 10000 samples` is the line Keras 2 printed, and only
# when it validates (the first `fit` printed none). The last line is the `History` that
# `fit` returned, shown by Jupyter because the cell ends in it.
#
# As the worksheet says, the model kept its weights: it has now trained for 10 epochs, not
# 5. Note what that means for the validation numbers: the first `fit` trained on all 60,000
# rows, the held-out 10,000 among them, so the "validation" rows are not new to the model,
# and `val_accuracy` is more optimistic than it would be on unseen data. The test set
# below is unseen.
#
# ## The test set (minigraph's addition)
#
# The worksheet stops here. The test images played no part in training or in choosing
# anything, so they give an honest estimate of the accuracy on new handwriting:

# %%
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {test_loss:.4f}")
print(f"Test accuracy: {test_accuracy:.4f}")

# %% [markdown]
# ## The training curves
#
# `fit` returned a `History`, which the model also keeps as `model.history`:
# `model.history.history` holds one number per epoch of the last `fit` for each of `loss`,
# `accuracy`, `val_loss` and `val_accuracy`.

# %%
history = model.history.history
epochs = np.arange(6, 6 + len(history["loss"]))  # the second fit's epochs are the 6th to the 10th
fig, (loss_ax, accuracy_ax) = plt.subplots(1, 2, figsize=(11, 3.8))
for key, style in (("loss", "o-"), ("val_loss", "s--")):
    loss_ax.plot(epochs, history[key], style, label=key)
for key, style in (("accuracy", "o-"), ("val_accuracy", "s--")):
    accuracy_ax.plot(epochs, history[key], style, label=key)
loss_ax.set(title="loss (categorical cross-entropy)", xlabel="epoch")
accuracy_ax.set(title="accuracy", xlabel="epoch")
for ax in (loss_ax, accuracy_ax):
    ax.set_xticks(epochs)
    ax.grid(alpha=0.3)
    ax.legend()
plt.show()

# %% [markdown]
# How to read them:
#
# - Training accuracy climbs every epoch. The validation accuracy stays flat, or wobbles,
#   near the test accuracy. A growing gap between the two curves is the first sign of
#   overfitting: the model learns the training images rather than handwriting.
# - The losses are large for a 10-class problem (guessing uniformly scores ln 10 ≈ 2.3),
#   even though 96% of the answers are right. Because the inputs are not scaled, the
#   network's scores (its *logits*) reach the hundreds: when it is wrong it is wrong with
#   near certainty, and each such mistake costs a loss of tens or hundreds. Notebook 3 looks
#   at this closely.
#
# ## A few predictions
#
# `predict` gives the 10 probabilities per image; the guess is the largest one.

# %%
probabilities = model.predict(x_test[:10])
guesses = probabilities.argmax(axis=1)
fig, axes = plt.subplots(1, 10, figsize=(10, 1.6))
for image, guess, label, ax in zip(test_images, guesses, test_labels, axes):
    ax.imshow(image, cmap="gray_r")
    ax.set_title(f"{guess}", color="green" if guess == label else "red")
    ax.axis("off")
plt.show()
print("guesses:", guesses)
print("labels: ", test_labels[:10])

# %% [markdown]
# **Try it:** scale the features before training (for example `x_train / x_train.std()`,
# and the same number for the test set) and compare the loss values and curves. Or keep 30
# components instead of 60. Which matters more for accuracy?
