//! TensorFlow-named ops of the seed pages (`tf.strided_slice`, ...), being written.
