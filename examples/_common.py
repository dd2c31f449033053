"""What the example scripts share: their command line, the timed training
and saving the model.

The examples import it as `import _common`: Python puts a script's own
folder first on `sys.path`. Nothing here imports Keras at import time, so
that `--help` and argument errors come at once, without the backend's
start-up time and log lines.
"""

import argparse
import math
import os
import time


def make_parser(
    doc,
    example,
    *,
    epochs,
    batch_size=None,
    learning_rate=None,
    epochs_help="number of training epochs",
    learning_rate_help="Adam step size",
    seed_help="seed of the weights and batches",
    limit_help="use only the first LIMIT training and test images "
    "(for a quick smoke run)",
):
    """An argument parser with the options every example has.

    Args:
        doc: str. The example's docstring; its first paragraph describes
            the script in `--help`.
        example: str. A command line that runs the example, shown after
            the sentence that names `KERAS_BACKEND`.
        epochs: int. Default of `--epochs`.
        batch_size: int or None. Default of `--batch-size`; None leaves
            the option out.
        learning_rate: float or None. Default of `--learning-rate`; None
            leaves the option out.
        epochs_help, learning_rate_help, seed_help, limit_help: str. The
            help texts of those options.

    Returns:
        An `argparse.ArgumentParser` with `--epochs`, `--batch-size`,
        `--learning-rate` (as asked), `--seed` (default 0) and `--limit`
        (default None); the example adds its own options, then calls
        `check_args`.
    """
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0],
        epilog="The backend is chosen with KERAS_BACKEND "
        f"(tensorflow, jax or torch), e.g. {example}",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--epochs", type=int, default=epochs, help=epochs_help)
    if batch_size is not None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=batch_size,
            help="training batch size",
        )
    if learning_rate is not None:
        parser.add_argument(
            "--learning-rate",
            type=float,
            default=learning_rate,
            help=learning_rate_help,
        )
    parser.add_argument("--seed", type=int, default=0, help=seed_help)
    parser.add_argument("--limit", type=int, default=None, help=limit_help)
    return parser


def add_verbose(parser, default=1):
    """Adds `--verbose`, the verbosity of `model.fit`."""
    parser.add_argument(
        "--verbose",
        type=int,
        choices=[0, 1, 2],
        default=default,
        help="Keras fit verbosity: 0 silent, 1 progress bar, 2 one line "
        "per epoch",
    )


def add_output(parser, filename, *, optional=False):
    """Adds `--output`, the `.keras` file of the trained model, by default
    `examples/output/<filename>`; with `optional`, an empty string skips
    saving."""
    parser.add_argument(
        "--output",
        default=os.path.join("examples", "output", filename),
        help="where to save the trained model (.keras)"
        + ("; an empty string skips it" if optional else ""),
    )


def check_args(parser, args, *counts):
    """Exits through `parser.error` unless `--epochs`, `--batch-size`,
    `--limit` (when given) and the options named in `counts` are at least
    1 and `--learning-rate` (where the example has it) is greater than 0.
    Returns `args`."""
    for name in ("epochs", "batch_size", *counts, "limit"):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    learning_rate = getattr(args, "learning_rate", None)
    if learning_rate is not None and not learning_rate > 0:
        parser.error("--learning-rate must be greater than 0")
    return args


def first(splits, limit):
    """`((x_train, y_train), (x_test, y_test))` cut to their first `limit`
    samples each (all of them when `limit` is None)."""
    if limit is None:
        return splits
    return tuple(tuple(a[:limit] for a in split) for split in splits)


def steps_for(data, limit):
    """Batches per pass over the batched dataset `data`: all of them, or
    enough for `limit` samples."""
    if limit is None:
        return len(data)
    return min(len(data), math.ceil(limit / data.batch_size))


def fit(model, args, x, y=None, **kwargs):
    """Trains `model` for `--epochs` at `--verbose` (in batches of
    `--batch-size` when `y` is given: arrays, not a batched dataset) and
    returns the CPU time that training took, in seconds.

    CPU time of this process (all its threads), not wall-clock time: it
    depends less on what else the machine is running.
    """
    if y is not None:
        kwargs["batch_size"] = args.batch_size
    start = time.process_time()
    model.fit(x, y, epochs=args.epochs, verbose=args.verbose, **kwargs)
    return time.process_time() - start


def fit_and_report(model, args, train, test, *, what, details=()):
    """Trains `model` on the batched dataset `train` and tests it on
    `test` (`keras_snn.datasets` batches, with `batch_size` and
    `num_samples`), each cut to about `--limit` samples in whole batches,
    and prints the backend, the lines `details`, the training CPU time,
    the number of test samples (called `what`) and, last, the test
    accuracy. Returns the test accuracy."""
    import keras

    train_steps = steps_for(train, args.limit)
    test_steps = steps_for(test, args.limit)
    seconds = fit(model, args, train, steps_per_epoch=train_steps)
    _, accuracy = model.evaluate(test, steps=test_steps, verbose=0)
    test_samples = min(test.num_samples, test_steps * test.batch_size)
    for line in (
        f"backend: {keras.backend.backend()}",
        *details,
        f"training CPU time: {seconds:.1f} s ({args.epochs} epochs of "
        f"{train_steps} batches)",
        f"test {what}: {test_samples}",
        f"test accuracy: {accuracy:.4f}",
    ):
        print(line)
    return accuracy


def save(model, path):
    """Saves `model` to the `.keras` file `path`, creating its folder."""
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    model.save(path)
