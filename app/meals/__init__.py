"""Meal planning: weekly plans, the client's dish list, the budget, the shopping list and shop
trips. Cooking sessions and supported shop trips are activity notes (the notes area): the meals
pages link to the note form with the facts as request data."""

from flask import Blueprint

bp = Blueprint("meals", __name__, url_prefix="/meals")

from app.meals import routes  # noqa: E402,F401
