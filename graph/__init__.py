"""The code knowledge graph: tree-sitter parses, the NetworkX graph, modules with summaries, the on-disk index."""
