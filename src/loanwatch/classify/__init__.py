"""Five-level classification (五级分类), borrower rating and IFRS 9 staging."""
