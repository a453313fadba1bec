"""Test helpers shared by several test modules (servers, builders); not collected as tests."""
