"""Every write to bins, sensors and readings, one module per concern:
``readings`` (ingest), ``emptying`` (bin cases), ``assets`` (imports),
``retention`` (downsampling)."""
