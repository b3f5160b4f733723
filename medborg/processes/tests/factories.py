import factory

from medborg.processes.models import Process, Step


class ProcessFactory(factory.django.DjangoModelFactory):
    """The default process: received → in progress → closed (resolved).

    ``steps`` takes (key, name, expected days, outcome, next step keys) tuples;
    ``team`` gives every step that team (else the service's team holds it).
    """

    class Meta:
        model = Process
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"process-{n}")
    name = "Standard"

    @factory.post_generation
    def steps(self, create, extracted, **kwargs):
        specs = extracted or [
            ("received", "Received", 2, "", ["in-progress", "closed"]),
            ("in-progress", "In progress", 10, "", ["received", "closed"]),
            ("closed", "Closed", None, "resolved", []),
        ]
        for position, (key, name, days, outcome, next_steps) in enumerate(specs):
            Step.objects.create(
                process=self,
                key=key,
                position=position,
                name=name,
                public_description=f"{name}: what it means.",
                expected_days=days,
                outcome=outcome,
                next_steps=next_steps,
                team=kwargs.get("team"),
            )
