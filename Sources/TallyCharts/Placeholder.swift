// The charts module is being written; see the trend-charts issue.
