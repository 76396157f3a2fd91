"""Making tasks: what a program's own help text and answers say about its input
space. Imports the layers below ``engine`` and ``engine`` itself."""
