"""The `bzzz` command and the composition root: the only package that imports
bzzz/, handlers/, runner/ and infra/ together (supervisor, demo stack, image build).
"""
