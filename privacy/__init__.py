"""Personal data: masked where it is written, originals sealed, retention, and the customer's rights (export, erase)."""
