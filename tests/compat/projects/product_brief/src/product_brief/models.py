from typing import List

from pydantic import BaseModel, Field


class Competitor(BaseModel):
    name: str = Field(description="Company or product name")
    strength: str = Field(description="What it does best")


class CompetitorList(BaseModel):
    product: str
    competitors: List[Competitor]


class PricingPlan(BaseModel):
    tier: str
    monthly_price_usd: float
    features: List[str]
