"""Related-party groups (关联集团), guarantee circles (担保圈) and chains (担保链), from tables."""
