"""Audio for the trainer: the fixed-point front-end's numpy twin (:mod:`trainer.audio.fixed_frontend`,
bit-exact with runtime_c's tl_frontend) and the float front-end built from ``tf.signal`` ops
(:mod:`trainer.audio.float_frontend`). See docs/audio.md."""
