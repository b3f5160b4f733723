import factory

from medborg.processes.models import Process, Step


class ProcessFactory(factory.django.DjangoModelFactory):
    """The default process: received → in progress → closed."""

    class Meta:
        model = Process
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"process-{n}")
    name = "Standard"

    @factory.post_generation
    def steps(self, create, extracted, **kwargs):
        specs = extracted or [
            ("received", "Received", 2, False),
            ("in-progress", "In progress", 10, False),
            ("closed", "Closed", None, True),
        ]
        for position, (key, name, days, final) in enumerate(specs):
            Step.objects.create(
                process=self,
                key=key,
                position=position,
                name=name,
                public_description=f"{name}: what it means.",
                expected_days=days,
                is_final=final,
            )
