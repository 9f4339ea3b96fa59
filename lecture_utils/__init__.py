"""lecture_utils: the computing behind the course companion
*Latent Variable Models and the EM Algorithm*.

The notebooks import these modules; each one is small, pure and tested:

- ``data``      loaders for the CSVs in ``data/`` (validated, never downloaded)
- ``mixture``   the Gaussian mixture of the heights example, its E/M steps and EM trace
- ``hmm``       the Poisson hidden Markov model of the fish-population example
- ``election``  poll averages and election simulations for 2016
- ``graphs``    the lecture's graphical models, drawn with daft-pgm
- ``widgets``   the ipywidgets explorers (thin: they only index precomputed results)
- ``plotting``  the shared figure style
"""

__version__ = "0.1.0"
