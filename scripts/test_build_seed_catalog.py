"""Tests of the seed builder's director parser on real Wikipedia extracts
(wikipedia-movie-data, MIT licence). Run: python3 scripts/test_build_seed_catalog.py"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build_seed_catalog import parse_directors  # noqa: E402


class ParseDirectors(unittest.TestCase):
    def check(self, extract, expected):
        self.assertEqual(parse_directors(extract), expected, extract)

    def test_one_director_then_other_credits(self):
        self.check("The Adventures of Ford Fairlane is a 1990 American action comedy mystery film "
                   "directed by Renny Harlin and written by David Arnott, James Cappe, and Daniel "
                   "Waters based on a story by Arnott and Cappe.", ["Renny Harlin"])
        self.check("Scream is a 1996 American slasher film directed by Wes Craven and written by "
                   "Kevin Williamson.", ["Wes Craven"])
        self.check("directed by Steven Spielberg, produced by Kathleen Kennedy and Gerald R. "
                   "Molen, and starring", ["Steven Spielberg"])
        self.check("directed by Donald Petrie, starring Kate Hudson and Matthew McConaughey.",
                   ["Donald Petrie"])
        self.check("directed by Paul Bartel.", ["Paul Bartel"])
        self.check("directed by Luis Llosa. The film stars Tom Berenger and Billy Zane",
                   ["Luis Llosa"])

    def test_initials_particles_and_punctuation_stay_in_the_name(self):
        self.check("directed by M. Night Shyamalan, who wrote the screenplay",
                   ["M. Night Shyamalan"])
        self.check("directed by David F. Sandberg, written by Gary Dauberman",
                   ["David F. Sandberg"])
        self.check("directed by Sidney J. Furie and written by Lawrence Konner",
                   ["Sidney J. Furie"])
        self.check("directed by Guillermo del Toro and starring Ron Perlman",
                   ["Guillermo del Toro"])
        self.check("directed by Matthew O'Callaghan, written by Ken Kaufman",
                   ["Matthew O'Callaghan"])
        self.check("directed by Jean-Luc Godard", ["Jean-Luc Godard"])
        self.check("directed by Jennifer Yuh Nelson and written by Jonathan Aibel",
                   ["Jennifer Yuh Nelson"])

    def test_directed_among_other_jobs(self):
        self.check("Titanic is a 1997 American epic romance and disaster film directed, written, "
                   "produced, and co-edited by James Cameron. Incorporating both",
                   ["James Cameron"])
        self.check("Star Wars is a 1977 American epic space opera film written and directed by "
                   "George Lucas, produced by Lucasfilm", ["George Lucas"])

    def test_two_directors(self):
        self.check("directed by Youssef Delara and Victor Teran. The film had its world premiere",
                   ["Youssef Delara", "Victor Teran"])
        self.check("directed by Joel and Ethan Coen. It stars", ["Joel Coen", "Ethan Coen"])
        self.check("directed by Lana and Lilly Wachowski", ["Lana Wachowski", "Lilly Wachowski"])

    def test_no_director_named(self):
        self.check("directed by and starring Clint Eastwood", [])
        self.check("A 1995 film starring Tom Hanks.", [])
        self.check("directed by Spielberg himself", [])


if __name__ == "__main__":
    unittest.main()
