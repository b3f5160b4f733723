import json
from io import StringIO
from pathlib import Path

from django.core.management import CommandError, call_command

import pytest
import vrplib

from medborg.routing import cvrplib

TINY = Path(__file__).parent / "fixtures" / "tiny-n5-k2.vrp"


def test_read_rounds_euclidean_distances_to_the_nearest_integer():
    instance = cvrplib.read(TINY)

    assert instance.name == "tiny-n5-k2"
    assert instance.capacity == 10
    assert instance.demands == [0, 5, 5, 5, 5]
    # 100.4988 rounds down, 200.2498 too; 10 is exact.
    assert instance.distance[0].tolist() == [0, 100, 100, 100, 100]
    assert instance.distance[1].tolist() == [100, 0, 200, 10, 200]


def test_cost_of_the_best_known_solution_is_its_published_cost():
    instance = cvrplib.read(TINY)
    solution = vrplib.read_solution(str(TINY.with_suffix(".sol")))

    assert cvrplib.cost(instance, solution["routes"]) == solution["cost"] == 420


def test_problem_is_an_unlimited_fleet_without_windows():
    problem = cvrplib.problem(cvrplib.read(TINY))

    assert [stop.key for stop in problem.stops] == ["1", "2", "3", "4"]
    assert [stop.location for stop in problem.stops] == [1, 2, 3, 4]
    assert {stop.demand_litres for stop in problem.stops} == {5}
    assert len(problem.vehicles) == 4
    assert {(v.depot, v.capacity_litres) for v in problem.vehicles} == {(0, 10)}


def test_solve_finds_the_optimum_with_customers_numbered_as_in_sol_files():
    result = cvrplib.solve(TINY, seconds=0.2)

    assert result["instance"] == "tiny-n5-k2"
    assert result["cost"] == 420
    assert result["vehicles"] == 2
    assert sorted(sorted(route) for route in result["routes"]) == [[1, 3], [2, 4]]
    assert result["feasible"] is True


def test_solve_cvrplib_command_prints_json():
    out = StringIO()

    call_command(
        "solve_cvrplib", str(TINY), "--seconds", "0.2", "--seed", "3", stdout=out
    )

    printed = json.loads(out.getvalue())
    assert set(printed) == {
        "instance",
        "cost",
        "routes",
        "seconds",
        "vehicles",
        "feasible",
    }
    assert printed["cost"] == 420


def test_solve_cvrplib_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("solve_cvrplib", str(tmp_path / "none.vrp"))


def test_read_refuses_an_instance_without_demands(tmp_path):
    path = tmp_path / "tsp.vrp"
    path.write_text(
        "NAME : tsp\nTYPE : TSP\nDIMENSION : 2\nEDGE_WEIGHT_TYPE : EUC_2D\n"
        "NODE_COORD_SECTION\n1 0 0\n2 3 4\nEOF\n"
    )

    with pytest.raises(ValueError, match="CAPACITY and DEMAND_SECTION"):
        cvrplib.read(path)
