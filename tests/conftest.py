import gc

import keras
import pytest

import keras_snn.models


def pytest_configure(config):
    # The backends' modules are millions of long-lived objects: moved out of
    # the collector's sight, a garbage collection costs milliseconds instead
    # of the 0.4 to 2 s measured with TensorFlow loaded.
    gc.freeze()


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    keras.utils.set_random_seed(1234)
    yield
    keras.config.set_dtype_policy("float32")
    # Without free_memory's gc.collect(), which cost 0.4 to 2 s per test on
    # TensorFlow; Python's own collector still runs as objects pile up.
    keras.backend.clear_session(free_memory=False)


@pytest.fixture(autouse=True)
def _xla_default_where_marked(request, monkeypatch):
    # On TensorFlow CPUs, SpikingModel compiles fit, evaluate and predict
    # with XLA by default, which costs 2 to 3 s per model and input shape:
    # for hundreds of small test models, most of the suite's time. Tests
    # marked `xla_default` (and the examples and the benchmark smoke run,
    # which run in their own processes) keep the default; the others run
    # as keras.Model would. XLA's numbers are checked against the
    # uncompiled step in tests/test_models.py.
    if request.node.get_closest_marker("xla_default") is None:
        monkeypatch.setattr(keras_snn._backend, "auto_jit_compile", _keras_rule)


def _keras_rule(model):
    # None: Keras' own rule for jit_compile="auto".
    return None
