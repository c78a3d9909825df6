"""Exchange: authorisations, the disclosure gate and log, signed export packages."""
