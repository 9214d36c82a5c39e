"""The table reader: from a report's text to the cells of 表二/表三/表四.

One module per step, in pipeline order: ``tokens`` (a region's text → cells, whatever the
layout), ``rowlabels`` (a printed label → template row), ``numbers`` (a cell's text → a number),
``align`` (printed rows → template rows), ``decode`` (digit runs → cells, jointly under the
template's identities), ``read`` (regions and the three tables), ``confidence`` (evidence → a
calibrated probability). ``template`` declares the national templates as data.
"""
