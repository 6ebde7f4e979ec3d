// The commented spec `plateau init` writes: a small, complete sweep that validates as is
// and teaches every section (test/spec checks that it parses).

export const EXAMPLE_SPEC_YAML = `# plateau-sweep spec: which ReduceLROnPlateau schedule trains this model best?
# Check it with \`plateau validate sweep.yaml\`, run it with \`plateau run sweep.yaml\`.
name: mlp-plateau

workload:
  # Built in: synthetic-regression {samples, features, noise?, seed, validationSplit?}
  #           two-spirals {samples, noise?, seed, validationSplit?}
  #           synthetic-classification {samples, features, classes, oneHot?, seed, validationSplit?}
  # Or your data: { kind: csv, train: data/train.csv, validation: data/val.csv, target: y }
  # or NumPy arrays: { kind: npz, train: data/train.npz, x: x, y: y } (np.savez; validation optional)
  # (paths are relative to this file; features are z-scored with the training file's
  # statistics, standardize: false keeps them raw).
  dataset: { kind: synthetic-regression, samples: 4096, features: 16, noise: 0.1, seed: 7 }
  # Layers in order; the last is the output. Or { modelJson: path/to/model.json }
  # (tfjs layers format, e.g. from tensorflowjs_converter).
  model:
    layers:
      - { dense: 64, activation: relu }
      - { dense: 64, activation: relu }
      - { dense: 1 }
  loss: meanSquaredError     # meanAbsoluteError, binaryCrossentropy, huberLoss, …
  optimizer: adam            # sgd, momentum, rmsprop, adagrad, adadelta, adamax
  # metrics: [accuracy]      # needed before you can monitor acc / val_acc
  batchSize: 64
  epochs: 30
  seed: 42                   # initial weights: every config of a repeat starts equal

# Fixed ReduceLROnPlateau settings (Keras names and semantics).
plateau:
  monitor: val_loss          # what Keras logs; "validation_loss" would never fire
  mode: auto                 # auto: maximize if the name contains "acc", else minimize
  minDelta: 1.0e-4
  cooldown: 0
  minLr: 0

# The sweep: every combination of these lists is one configuration.
# minDelta, cooldown, minLr (instead of fixing them above) and batchSize
# (instead of workload.batchSize) may be axes too.
grid:
  learningRate: [0.001, 0.003, 0.01]   # initial learning rate
  factor: [0.1, 0.3, 0.5]              # new_lr = lr * factor, in (0, 1)
  patience: [2, 5]                     # epochs without improvement before a cut

repeats: 1        # seeds per configuration; the ranking averages over them

# How configurations are ranked: the metric at the final (or best) epoch.
objective: { metric: val_loss, goal: minimize, use: final }

maxAttempts: 3    # tries per trial when a worker crashes or an agent vanishes
`;
