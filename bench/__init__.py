"""`make bench`: the widget's performance measured side by side with its floors (see __main__)."""
