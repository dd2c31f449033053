"""Sums over the replicas of a data-parallel step.

Under `tf.distribute` (say `MirroredStrategy`), each replica runs the
model on its share of the global batch, and a statistic of the batch
computed in the model (a firing rate averaged over the batch) would be one
of the replica's share only. `replica_sum` adds a tensor up over the
replicas, so that every replica computes the statistic of the global
batch. Under JAX's `keras.distribution.DataParallel` the model runs once
on the global, sharded batch, and PyTorch has no multi-device API in
Keras: there the sum is the tensor itself.
"""

from keras_snn import _backend


def replica_sum(tensors):
    """Sums `tensors` over the replicas of a `tf.distribute` step.

    Args:
        tensors: a tensor or a nested structure of tensors.

    Returns:
        The same structure: on TensorFlow, inside a replica context of a
        strategy with several replicas, each tensor summed over the
        replicas (a differentiable all-reduce, whose gradient is summed
        over the replicas too); otherwise `tensors` unchanged.
    """
    return _backend.replica_sum(tensors)
