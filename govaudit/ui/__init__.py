"""ipywidgets components for the Voila workbench; notebooks only wire them together."""
