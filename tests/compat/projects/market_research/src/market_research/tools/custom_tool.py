from typing import Type

from crewai.tools import BaseTool
from pydantic import BaseModel, Field


class MarketSizeInput(BaseModel):
    """Input schema for MarketSizeTool."""
    customers: int = Field(..., description="Number of paying customers in the market.")
    yearly_price: float = Field(..., description="Average yearly price paid per customer, in USD.")


class MarketSizeTool(BaseTool):
    name: str = "Market size calculator"
    description: str = (
        "Estimates a market's yearly revenue from its number of customers and the average yearly price."
    )
    args_schema: Type[BaseModel] = MarketSizeInput

    def _run(self, customers: int, yearly_price: float) -> str:
        return f"Estimated market size: {customers * yearly_price:,.0f} USD per year"
