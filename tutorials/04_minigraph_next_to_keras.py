# %% [markdown]
# # 4 · minigraph next to Keras
#
# **Mirrors:** the worksheet's model cells (`Sequential`, `compile(optimizer='adam',
# loss='categorical_crossentropy', metrics=['accuracy'])`, `fit(..., batch_size=32)`), run twice:
# once in minigraph and once in real Keras 3 on TensorFlow.
#
# **You will learn** what it takes to make two frameworks compute the same thing (the same
# initial weights, the same batches in the same order, the same optimizer rule), how close
# float32 arithmetic lets them stay, and why they are not bit-for-bit equal.
#
# (Runs in 20 to 40 seconds: importing TensorFlow, the PCA of MNIST, and a short training run in
# each.)

# %%
# %matplotlib inline
import os

# Set before Keras loads TensorFlow: hide its start-up log. TensorFlow 2.21 still prints a
# banner about oneDNN's different rounding, unless oneDNN is off (its plain kernels are used then).
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import time

import keras
import matplotlib.pyplot as plt
import numpy as np

from minigraph.examples.worksheet import build_model, load_pca_mnist
from minigraph.keras.callbacks import Callback
from minigraph.keras.utils import set_random_seed

print("Keras", keras.__version__, "on", keras.backend.backend())

# %% [markdown]
# ## The data
#
# The worksheet's data (MNIST, flattened, PCA to 60 numbers, one-hot labels), but only the first
# 3,200 training rows: with batches of 32 that is 100 steps an epoch, and two epochs make
# 200 steps, enough to see whether the two frameworks stay together.

# %%
(x_train, y_train), (x_test, y_test) = load_pca_mnist()
x_small, y_small = x_train[:3200], y_train[:3200]
print(x_small.shape, y_small.shape, x_test.shape)

# %% [markdown]
# ## The same model twice, from the same weights
#
# minigraph draws its initial weights (glorot uniform kernels, zero biases) from its own random
# generator, seeded here. Keras's `set_weights` then copies them, array by array, into a Keras
# model with the same layers.

# %%
set_random_seed(0)
mg_model = build_model()  # Dense(128), relu, Dense(10), softmax, as in the worksheet
mg_model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
initial_weights = mg_model.get_weights()

keras_model = keras.Sequential([
    keras.Input(shape=(60,)),
    keras.layers.Dense(128),
    keras.layers.Activation("relu"),
    keras.layers.Dense(10),
    keras.layers.Activation("softmax"),
])
keras_model.set_weights(initial_weights)
keras_model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])

for mine, theirs in zip(initial_weights, keras_model.get_weights()):
    print(f"{str(mine.shape):10} identical: {np.array_equal(mine, theirs)}")


# %% [markdown]
# ## The same batches
#
# `fit` normally shuffles the rows every epoch, each framework with its own random numbers.
# `shuffle=False` makes both take the rows in order: batch 1 is rows 0 to 31 in both. A small
# callback records the running loss after every step, so the two runs can be compared step by
# step and not only per epoch.

# %%
class MinigraphStepLosses(Callback):
    """Keeps the running epoch loss minigraph reports after every step."""

    def on_train_begin(self, logs=None):
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float(logs["loss"]))


class KerasStepLosses(keras.callbacks.Callback):
    """Keeps the running epoch loss Keras reports after every step."""

    def on_train_begin(self, logs=None):
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float(logs["loss"]))


# %%
mg_steps, keras_steps = MinigraphStepLosses(), KerasStepLosses()

started = time.perf_counter()
mg_history = mg_model.fit(x_small, y_small, epochs=2, batch_size=32, shuffle=False, verbose=0,
                          callbacks=[mg_steps])
mg_seconds = time.perf_counter() - started

started = time.perf_counter()
keras_history = keras_model.fit(x_small, y_small, epochs=2, batch_size=32, shuffle=False, verbose=0,
                                callbacks=[keras_steps])
keras_seconds = time.perf_counter() - started

print(f"minigraph: {len(mg_steps.losses)} steps in {mg_seconds:.2f}s")
print(f"Keras:     {len(keras_steps.losses)} steps in {keras_seconds:.2f}s "
      "(including building and compiling its training function)")

# %% [markdown]
# ## The numbers side by side
#
# Epoch by epoch, the loss and accuracy each framework reported:

# %%
mg_logs, keras_logs = mg_history.history, keras_history.history
print(f"{'epoch':>5} | {'minigraph loss':>14} {'Keras loss':>14} {'rel. diff':>9} | "
      f"{'minigraph acc':>13} {'Keras acc':>10}")
for epoch in range(2):
    mg_loss, keras_loss = mg_logs["loss"][epoch], keras_logs["loss"][epoch]
    relative = abs(mg_loss - keras_loss) / keras_loss
    print(f"{epoch + 1:>5} | {mg_loss:>14.6f} {keras_loss:>14.6f} {relative:>9.1e} | "
          f"{mg_logs['accuracy'][epoch]:>13.4f} {keras_logs['accuracy'][epoch]:>10.4f}")

# %% [markdown]
# Step by step, the running losses lie on top of each other (the running loss starts again at
# step 101, with the second epoch). The lower plot shows how far apart they are, relative to the
# loss:

# %%
mg_losses, keras_losses = np.array(mg_steps.losses), np.array(keras_steps.losses)
steps = np.arange(1, len(mg_losses) + 1)
fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True)
top.plot(steps, mg_losses, label="minigraph", linewidth=3, alpha=0.5)
top.plot(steps, keras_losses, "--", label="Keras", color="black")
top.set(ylabel="running epoch loss", yscale="log")
top.legend()
# + 1e-12: a step where the two agree exactly (a difference of 0) still shows on the log scale
bottom.semilogy(steps, np.abs(mg_losses - keras_losses) / np.abs(keras_losses) + 1e-12, ".")
bottom.set(xlabel="step", ylabel="relative difference")
for ax in (top, bottom):
    ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# After 200 steps, the weights. The last column is how far training moved each weight from its
# initial value, for scale:

# %%
names = ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]
largest_difference = 0.0
print(f"{'weight':15} {'shape':10} {'max |minigraph - Keras|':>24} {'max |moved|':>12}")
trained = zip(names, initial_weights, mg_model.get_weights(), keras_model.get_weights())
for name, start, mine, theirs in trained:
    difference = np.abs(mine - theirs).max()
    largest_difference = max(largest_difference, difference)
    print(f"{name:15} {str(mine.shape):10} {difference:>24.1e} {np.abs(mine - start).max():>12.4f}")
print(f"largest weight difference: {largest_difference:.1e}")

# %% [markdown]
# And what the two trained models say about new images: their guesses for the first five test
# images, how far apart their predicted probabilities are, and their guesses on all 10,000.

# %%
mg_probabilities = mg_model.predict(x_test[:5])
keras_probabilities = keras_model.predict(x_test[:5], verbose=0)
print("minigraph guesses:", mg_probabilities.argmax(axis=1))
print("Keras guesses:    ", keras_probabilities.argmax(axis=1))
print("labels:           ", y_test[:5].argmax(axis=1))
print(f"max |probability difference|: {np.abs(mg_probabilities - keras_probabilities).max():.1e}")

mg_guesses = mg_model.predict(x_test).argmax(axis=1)
keras_guesses = keras_model.predict(x_test, verbose=0).argmax(axis=1)
print(f"same guess for {np.sum(mg_guesses == keras_guesses)} of {len(x_test)} test images")
print(f"test accuracy: minigraph {np.mean(mg_guesses == y_test.argmax(axis=1)):.4f}, "
      f"Keras {np.mean(keras_guesses == y_test.argmax(axis=1)):.4f}")

# %% [markdown]
# The probabilities differ by almost nothing because they are all within a hair of 0 or 1: on the
# unscaled inputs both networks are extremely sure of themselves (notebook 3 shows why).
#
# ## Why not bit-for-bit equal?
#
# Both compute in float32, where every addition rounds to about 7 significant digits, and a sum of
# many numbers depends on the order it is done in. A matrix product in TensorFlow's kernels and
# in numpy's BLAS adds in different orders, so the two frameworks differ in the last digit or two
# from the first step. Adam then divides each step by $\sqrt{v}$, which magnifies tiny differences
# in small gradients, so over a long run the gap can grow. Over these 200 steps it stays within a
# few rounding errors (relative differences of 1e-7 to 1e-6). What the comparison shows is that
# both apply the same mathematics: the same loss, the same gradients and the same Adam rule. A bug
# in any of them would show up as a difference of percent, not of millionths.
#
# **Try it:** set `shuffle=True` in both `fit` calls. Why do the curves now separate, even though
# the weights start the same?
