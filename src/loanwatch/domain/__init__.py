"""Pure vocabulary of the product: calendar, money, ids and enums."""
