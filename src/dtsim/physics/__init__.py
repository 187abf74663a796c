"""The physics: every formula of the model as a small pure array function citing its source.

Organised by quantity: ``hardware`` (catalogue, H100-equivalents, thresholds), ``memory``
(training state, stages), ``compute`` (FLOP, step time), ``network`` (synchronisation),
``efficiency`` (the factors of eta), ``scaling_law`` (Chinchilla). Arguments are arrays, so
one line serves one scenario or a million.
"""
