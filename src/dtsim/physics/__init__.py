"""The physics: every formula of the model as a small pure array function citing its source,
organised by quantity; alternatives of one quantity are named variants in a registry.

- ``registry``     ``Registry`` of named variants, selected per point by integer codes
- ``hardware``     GPU catalogue, prices, node peak and memory, H100-equivalents, thresholds
- ``memory``       training state, largest model, pipeline stages, expert-parallel share
- ``compute``      FLOP, step time, tokens in a budget, time to train, utilisation
- ``network``      synchronisation volume; straggler and collective registries; H_min
- ``efficiency``   the factors of η: sync interval, replica penalties, compression tables
- ``scaling_law``  Chinchilla loss and efficiency, with every coefficient an input
- ``reliability``  failures, fail-slow tail, checkpoints, Young/Daly and goodput

Arguments are arrays, so one line serves one scenario or a million.
"""
