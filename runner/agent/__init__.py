"""The reasoning loop and its parts: the model, the tools, the prompts, the
history, the budgets, the record.
"""
