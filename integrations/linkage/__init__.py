"""Record linkage: one youth record from many bureaus' records."""
