from crewai.tools import tool


@tool("Make a calculation")
def calculate(operation: str) -> str:
    """Useful to perform any mathematical calculations,
    like sum, minus, multiplication, division, etc.
    The input should be a mathematical expression, e.g. '200*7' or '5000/2*10'."""
    try:
        return str(eval(operation, {"__builtins__": {}}, {}))
    except SyntaxError:
        return "Error: Invalid syntax in mathematical expression"
