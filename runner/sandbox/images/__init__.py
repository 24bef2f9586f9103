"""The default sandbox image, built without a registry (debootstrap, then import)."""
