"""Routers of the reporting service (grades, narrative and reports arrive with their issue)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
