"""fangxin."""
