"""fangxin/local."""
