"""``kb eval``: labelled data sets searched through the bot's own path, measured, reported.

``metrics`` is pure scoring, ``run`` loads a data set as its own knowledge base and
searches it (I/O), ``report`` turns the result into a table.
"""
