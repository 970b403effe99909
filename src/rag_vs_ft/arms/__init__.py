"""The four approaches compared, each behind the same small interface (see base.Arm)."""
