"""The locked-down container one task runs in: configuration, command
execution, output caps, reaping, the image.
"""
